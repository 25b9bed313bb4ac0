#version 330 core
// A quad whose texcoord runs over matrix cells: (0, 0) to (columns, rows).
layout(location = 0) in vec2 position;
layout(location = 1) in vec2 texcoord;

uniform mat4 projection;

out vec2 v_cell;

void main()
{
    v_cell = texcoord;
    gl_Position = projection * vec4(position, 0.0, 1.0);
}
