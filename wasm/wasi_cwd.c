/* WASI build only: start in the host's working directory.
 *
 * WASI has no inherited cwd; wasi-libc starts at "/" and resolves relative paths against the
 * preopened directories. bin/hush-wasi.mjs preopens "/" and passes the host cwd as PWD, so
 * chdir'ing there before main makes "data/x.csv" and "/abs/x.csv" mean what they mean natively.
 */
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void hush_wasi_enter_cwd(void) {
    const char *pwd = getenv("PWD");
    if (pwd && pwd[0] == '/') (void)chdir(pwd);
}
