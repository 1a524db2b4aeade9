#ifndef PROVIDERD_CSYSTEMD_SHIM_H
#define PROVIDERD_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>

/* sd_notifyf is variadic; Swift formats the message and calls sd_notify. */
static inline int providerd_sd_notify(int unset_environment, const char *state) {
    return sd_notify(unset_environment, state);
}
#endif
