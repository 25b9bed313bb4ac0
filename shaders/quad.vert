#version 330 core
// Solid and textured quads in pixel coordinates (y down).
layout(location = 0) in vec2 position;
layout(location = 1) in vec2 texcoord;
layout(location = 2) in vec4 color;

uniform mat4 projection;

out vec2 v_texcoord;
out vec4 v_color;

void main()
{
    v_texcoord = texcoord;
    v_color = color;
    gl_Position = projection * vec4(position, 0.0, 1.0);
}
