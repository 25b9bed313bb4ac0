#version 330 core
// use_texture 0: the vertex colour; 1: the texture (rendered text) tinted by it.
in vec2 v_texcoord;
in vec4 v_color;

uniform sampler2D image;
uniform int use_texture;

out vec4 frag_color;

void main()
{
    if (use_texture == 1)
        frag_color = texture(image, v_texcoord) * v_color;
    else
        frag_color = v_color;
}
