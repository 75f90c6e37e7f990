/* The dealer of one p2p session (see dealer.h). */
#include "dealer.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hush/channel.h"

struct srv_dealer {
    hush_mpc_party *role;
    hush_channel *ch[2];
    int attached[2];
};

void srv_dealer_free(srv_dealer *d) {
    if (!d) return;
    hush_mpc_party_free(d->role); /* wipes its material */
    hush_channel_free(d->ch[0]);
    hush_channel_free(d->ch[1]);
    free(d);
}

int srv_dealer_create(srv_dealer **out, const uint8_t session[16], uint32_t rows, const hush_mpc_model *pub,
                      const uint8_t sk[64], const uint8_t pk_bank[32], const uint8_t pk_applicant[32],
                      hush_mpc_guard *guard) {
    if (!out || !session || !pub || !sk || !pk_bank || !pk_applicant) return HUSH_EARG;
    *out = NULL;
    srv_dealer *d = calloc(1, sizeof *d);
    if (!d) return HUSH_ENOMEM;
    hush_mpc_config cfg;
    int rc = hush_mpc_config_init(&cfg, HUSH_MPC_PREDICT);
    if (rc == HUSH_OK) {
        cfg.n_parties = 2;
        cfg.rows = rows;
        cfg.output = HUSH_MPC_OUTPUT_DECISION;
        memcpy(cfg.session, session, HUSH_MPC_SESSION_BYTES);
        /* rng NULL: the correlated randomness comes from the OS CSPRNG */
        rc = hush_mpc_party_create(&d->role, NULL, &cfg, HUSH_MPC_ROLE_DEALER, pub, guard, NULL);
    }
    for (uint32_t i = 0; i < 2 && rc == HUSH_OK; i++) {
        hush_channel_config cc;
        rc = hush_channel_config_init(&cc, HUSH_CHANNEL_INITIATOR, session, HUSH_MPC_SESSION_BYTES,
                                      HUSH_MPC_ROLE_DEALER, i);
        if (rc == HUSH_OK)
            rc = hush_channel_create(&d->ch[i], NULL, &cc, sk, 64, i == 0 ? pk_bank : pk_applicant, 32, NULL);
    }
    if (rc != HUSH_OK) {
        srv_dealer_free(d);
        return rc;
    }
    *out = d;
    return HUSH_OK;
}

int srv_dealer_handshake(srv_dealer *d, uint32_t party, uint8_t *out, size_t cap, size_t *written) {
    if (!d || party > 1 || !written) return HUSH_EARG;
    *written = 0;
    if (d->attached[party]) return HUSH_OK;
    int rc = hush_channel_next_message(d->ch[party], out, cap, written);
    if (rc == HUSH_OK && hush_channel_state(d->ch[party]) == HUSH_CHANNEL_STATE_OPEN) {
        rc = hush_mpc_party_attach(d->role, d->ch[party]);
        d->attached[party] = rc == HUSH_OK;
    }
    return rc;
}

int srv_dealer_receive(srv_dealer *d, uint32_t party, const uint8_t *msg, size_t len) {
    if (!d || party > 1 || (!msg && len)) return HUSH_EARG;
    /* open: everything from here on would be a share, an opening or an output */
    if (hush_channel_state(d->ch[party]) != HUSH_CHANNEL_STATE_HANDSHAKE) return HUSH_ESTATE;
    uint8_t none[1];
    size_t w = 0;
    int rc = hush_channel_receive(d->ch[party], none, sizeof none, &w, msg, len);
    if (rc == HUSH_OK && w) rc = HUSH_ESTATE; /* a record: never */
    return rc;
}

int srv_dealer_next(srv_dealer *d, uint32_t *party, uint8_t *out, size_t cap, size_t *written) {
    if (!d || !party || !written) return HUSH_EARG;
    *written = 0;
    if (!d->attached[0] || !d->attached[1]) return HUSH_OK;
    return hush_mpc_party_next_message(d->role, party, out, cap, written);
}

size_t srv_dealer_max_message(const srv_dealer *d) { return d ? hush_mpc_party_max_message(d->role) : 0; }

int srv_dealer_done(const srv_dealer *d) {
    return d && d->attached[0] && d->attached[1] && hush_mpc_party_state(d->role, NULL) == HUSH_MPC_STATE_DONE;
}
