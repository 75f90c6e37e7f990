/* `hush mpc serve` and `hush mpc apply`: the bank and the applicant of encrypted predictions over
 * hush-server (hush/p2p.h), native builds only (libwebsockets; compiled with HUSH_CLI_NET). */
#ifndef HUSH_CLI_MPCNET_H
#define HUSH_CLI_MPCNET_H

int cmd_mpc_serve(int argc, char **argv);
int cmd_mpc_apply(int argc, char **argv);

#endif
