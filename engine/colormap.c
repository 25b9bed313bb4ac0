/*
 * colormap.c - lookups in the generated colour map tables.
 */
#include "hs_colormap.h"

#include "colormap_tables.h"
#include "hs_error.h"

#include <strings.h>

static const struct {
    const char *name;
    const uint8_t (*table)[3];
} maps[HS_COLORMAP_COUNT] = {
    [HS_COLORMAP_VIRIDIS] = {"viridis", viridis_table},
    [HS_COLORMAP_CIVIDIS] = {"cividis", cividis_table},
};

const uint8_t (*hs_colormap_table(hs_colormap map))[3]
{
    HS_ASSERT(map >= 0 && map < HS_COLORMAP_COUNT);
    return maps[map].table;
}

int hs_colormap_index(float value)
{
    /* The negated test also sends NaN to entry 0. */
    if (!(value > 0.0f))
        return 0;
    if (value >= 1.0f)
        return 255;
    return (int)(value * 255.0f + 0.5f);
}

const uint8_t *hs_colormap_lookup(hs_colormap map, float value)
{
    return hs_colormap_table(map)[hs_colormap_index(value)];
}

const char *hs_colormap_name(hs_colormap map)
{
    HS_ASSERT(map >= 0 && map < HS_COLORMAP_COUNT);
    return maps[map].name;
}

int hs_colormap_from_name(const char *name, hs_colormap *out)
{
    for (int i = 0; i < HS_COLORMAP_COUNT; i++) {
        if (strcasecmp(name, maps[i].name) == 0) {
            *out = (hs_colormap)i;
            return 0;
        }
    }
    hs_error_set("unknown colour map '%s'; the valid names are viridis and cividis", name);
    return -1;
}
