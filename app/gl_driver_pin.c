/*
 * gl_driver_pin.c - keeps Mesa's DRI driver mapped until the process ends.
 * Built only into sanitizer builds.
 *
 * Mesa unloads its DRI driver (swrast_dri.so under Xvfb) when SDL closes the
 * X display at exit. The driver keeps a few small allocations for the life of
 * the process. Once its code is unmapped, LeakSanitizer reports them with no
 * module name, so no suppression can match them. With the driver marked
 * RTLD_NODELETE, its globals still point at those blocks and no leak is
 * reported.
 */
#define _GNU_SOURCE
#include "app.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>

static int pin_driver(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    const char *name = info->dlpi_name;
    size_t length = name ? strlen(name) : 0;
    if (length > 7 && strcmp(name + length - 7, "_dri.so") == 0) {
        /* RTLD_NOLOAD finds the loaded copy, and RTLD_NODELETE marks it. */
        void *handle = dlopen(name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
        if (handle)
            dlclose(handle);
    }
    return 0;
}

void hs_app_pin_gl_driver(void)
{
    dl_iterate_phdr(pin_driver, NULL);
}
