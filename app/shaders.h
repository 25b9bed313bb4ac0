/*
 * shaders.h - GLSL sources from shaders/, built into the program.
 */
#ifndef HS_SHADERS_H
#define HS_SHADERS_H

extern const char hs_shader_quad_vert[];
extern const char hs_shader_quad_frag[];
extern const char hs_shader_heatmap_vert[];
extern const char hs_shader_heatmap_frag[];

#endif
