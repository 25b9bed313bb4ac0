#version 330 core
// Each cell's value (R32F texture, one texel per cell) picks an entry of the
// 256-entry colour table: index = floor(clamp(value * scale, 0, 1) * 255 + 0.5),
// the same rule the PNG exporter uses.
in vec2 v_cell;

uniform sampler2D values;
uniform sampler2D colormap;
uniform float scale;

out vec4 frag_color;

void main()
{
    ivec2 size = textureSize(values, 0);
    ivec2 cell = clamp(ivec2(floor(v_cell)), ivec2(0), size - 1);
    float value = texelFetch(values, cell, 0).r * scale;
    if (!(value >= 0.0))
        value = 0.0;
    int index = int(floor(clamp(value, 0.0, 1.0) * 255.0 + 0.5));
    frag_color = vec4(texelFetch(colormap, ivec2(index, 0), 0).rgb, 1.0);
}
