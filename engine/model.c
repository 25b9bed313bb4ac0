/*
 * model.c - resolve a model name, map its safetensors files, bind weights.
 *
 * Both naming generations of real checkpoints are accepted: with or without
 * the "bert." / "transformer." prefix, LayerNorm gamma/beta or weight/bias,
 * heads such as cls.* or lm_head present or absent. Tensors the model does not
 * use (GPT-2's attn.bias mask buffers, BERT's pooler and position_ids) are
 * ignored. Every used tensor is checked against config.json before the one
 * allocation for the converted weights is made.
 */
#include "hs_model.h"

#include "hs_error.h"
#include "hs_io.h"
#include "model_internal.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { NAME_CAPACITY = 256, MAX_CANDIDATES = 4 };

/* One tensor the model needs: where its float pointer goes, which names it
 * may have, and the shape config.json implies. */
typedef struct {
    const float **target;
    hs_matrix *matrix; /* set instead of target for weight matrices */
    int conv1d_split;  /* GPT-2 c_attn: which third (q, k, v) this matrix is, 1-based */
    char names[MAX_CANDIDATES][NAME_CAPACITY];
    int n_names;
    int ndim;
    int64_t shape[2];
    int optional;
    const hs_tensor *found;
    const hs_safetensors *file;
} weight_spec;

typedef struct {
    weight_spec *specs;
    size_t count;
    size_t capacity;
} spec_list;

/* ---- name resolution -------------------------------------------------- */

char *hs_model_resolve(const char *name)
{
    if (hs_dir_exists(name))
        return strdup(name);
    if (hs_file_exists(name)) {
        hs_error_set("%s is a file, not a model folder; pass the folder that holds config.json",
                     name);
        return NULL;
    }
    if (name[0] == '\0' || name[0] == '/' || name[0] == '.' || name[0] == '~' ||
        strchr(name, '/') != strrchr(name, '/') || name[strlen(name) - 1] == '/') {
        hs_error_set("model folder '%s' not found", name);
        return NULL;
    }

    /* Hub cache layout: HUB/models--ORG--NAME/refs/main contains a commit id whose
     * files are under snapshots/<commit>/. */
    char hub[2048];
    const char *hub_cache = getenv("HF_HUB_CACHE");
    const char *hf_home = getenv("HF_HOME");
    const char *home = getenv("HOME");
    if (hub_cache && *hub_cache)
        snprintf(hub, sizeof hub, "%s", hub_cache);
    else if (hf_home && *hf_home)
        snprintf(hub, sizeof hub, "%s/hub", hf_home);
    else
        snprintf(hub, sizeof hub, "%s/.cache/huggingface/hub", home ? home : "");

    char repo[1024];
    size_t used = (size_t)snprintf(repo, sizeof repo, "%s/models--", hub);
    for (const char *p = name; *p && used + 3 < sizeof repo; p++) {
        if (*p == '/') {
            memcpy(repo + used, "--", 2);
            used += 2;
        } else {
            repo[used++] = *p;
        }
    }
    repo[used] = '\0';

    char ref_path[1200];
    snprintf(ref_path, sizeof ref_path, "%s/refs/main", repo);
    char *ref = hs_read_file(ref_path, NULL);
    if (ref) {
        ref[strcspn(ref, " \t\r\n")] = '\0';
        /* A commit id is a single path component. Anything else would
         * resolve to the snapshots folder itself or to a folder outside it. */
        if (ref[0] == '\0' || strchr(ref, '/') || strcmp(ref, ".") == 0 ||
            strcmp(ref, "..") == 0) {
            hs_error_set("model '%s': %s contains '%s', expected a commit id", name, ref_path,
                         ref);
            free(ref);
            return NULL;
        }
        char snapshot[1400];
        snprintf(snapshot, sizeof snapshot, "%s/snapshots/%s", repo, ref);
        free(ref);
        if (hs_dir_exists(snapshot))
            return strdup(snapshot);
        hs_error_set("model '%s': %s names snapshot '%s', which does not exist", name,
                     ref_path, snapshot);
        return NULL;
    }
    hs_error_set("model '%s' not found: no folder of that name, and no %s in the Hugging Face "
                 "cache; headscope does not download models, so download it first (for "
                 "example with huggingface-cli download %s) or pass a folder",
                 name, ref_path, name);
    return NULL;
}

const char *hs_demo_model_dir(void)
{
    const char *env = getenv("HEADSCOPE_DEMO_MODEL");
    return env && *env ? env : HS_DEMO_MODEL_DIR;
}

/* ---- weight table ------------------------------------------------------ */

static weight_spec *spec_add(spec_list *list, int ndim, int64_t rows, int64_t cols)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 64;
        weight_spec *grown = realloc(list->specs, capacity * sizeof *grown);
        HS_ASSERT(grown);
        list->specs = grown;
        list->capacity = capacity;
    }
    weight_spec *spec = &list->specs[list->count++];
    memset(spec, 0, sizeof *spec);
    spec->ndim = ndim;
    spec->shape[0] = rows;
    spec->shape[1] = cols;
    return spec;
}

static void spec_name(weight_spec *spec, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void spec_name(weight_spec *spec, const char *fmt, ...)
{
    va_list args;
    HS_ASSERT(spec->n_names < MAX_CANDIDATES);
    va_start(args, fmt);
    vsnprintf(spec->names[spec->n_names++], NAME_CAPACITY, fmt, args);
    va_end(args);
}

/* A vector [size] named PREFIX+BASE. */
static weight_spec *add_vector(spec_list *list, const float **target, const char *prefix,
                               const char *base, int64_t size)
{
    weight_spec *spec = spec_add(list, 1, size, 0);
    spec->target = target;
    spec_name(spec, "%s%s", prefix, base);
    return spec;
}

/* A torch Linear weight [out][in] named PREFIX+BASE. */
static weight_spec *add_linear(spec_list *list, hs_matrix *matrix, const char *prefix,
                               const char *base, int in, int out)
{
    weight_spec *spec = spec_add(list, 2, out, in);
    spec->matrix = matrix;
    matrix->in = in;
    matrix->out = out;
    matrix->ld = in;
    matrix->conv1d = 0;
    spec_name(spec, "%s%s", prefix, base);
    return spec;
}

/* A Conv1D weight [in][out]; split selects a third of the columns (c_attn). */
static weight_spec *add_conv1d(spec_list *list, hs_matrix *matrix, const char *prefix,
                               const char *base, int in, int out, int split)
{
    weight_spec *spec = spec_add(list, 2, in, split ? 3 * out : out);
    spec->matrix = matrix;
    spec->conv1d_split = split;
    matrix->in = in;
    matrix->out = out;
    matrix->ld = split ? 3 * out : out;
    matrix->conv1d = 1;
    spec_name(spec, "%s%s", prefix, base);
    return spec;
}

/* LayerNorm weight and bias under both spellings: weight/bias and gamma/beta. */
static void add_layer_norm(spec_list *list, const float **weight, const float **bias,
                           const char *prefix, const char *base, int64_t size, int optional)
{
    weight_spec *w = spec_add(list, 1, size, 0);
    w->target = weight;
    w->optional = optional;
    spec_name(w, "%s%s.weight", prefix, base);
    spec_name(w, "%s%s.gamma", prefix, base);
    weight_spec *b = spec_add(list, 1, size, 0);
    b->target = bias;
    b->optional = optional;
    spec_name(b, "%s%s.bias", prefix, base);
    spec_name(b, "%s%s.beta", prefix, base);
}

static void build_bert_specs(hs_model *m, spec_list *list, const char *p)
{
    const hs_config *c = &m->config;
    hs_weights *w = &m->weights;
    int d = c->d_model, f = c->d_ff;
    char base[NAME_CAPACITY];

    weight_spec *word = spec_add(list, 2, c->vocab_size, d);
    word->target = &w->token_embedding;
    spec_name(word, "%sembeddings.word_embeddings.weight", p);
    weight_spec *pos = spec_add(list, 2, c->max_positions, d);
    pos->target = &w->position_embedding;
    spec_name(pos, "%sembeddings.position_embeddings.weight", p);
    weight_spec *type = spec_add(list, 2, c->type_vocab_size, d);
    type->target = &w->type_embedding;
    type->optional = c->type_vocab_size == 0;
    spec_name(type, "%sembeddings.token_type_embeddings.weight", p);
    add_layer_norm(list, &w->embed_norm_w, &w->embed_norm_b, p, "embeddings.LayerNorm", d, 0);

    for (int i = 0; i < c->n_layers; i++) {
        hs_layer *layer = &w->layers[i];
        snprintf(base, sizeof base, "%sencoder.layer.%d.", p, i);
        add_linear(list, &layer->q, base, "attention.self.query.weight", d, d);
        add_vector(list, &layer->q_bias, base, "attention.self.query.bias", d);
        add_linear(list, &layer->k, base, "attention.self.key.weight", d, d);
        add_vector(list, &layer->k_bias, base, "attention.self.key.bias", d);
        add_linear(list, &layer->v, base, "attention.self.value.weight", d, d);
        add_vector(list, &layer->v_bias, base, "attention.self.value.bias", d);
        add_linear(list, &layer->o, base, "attention.output.dense.weight", d, d);
        add_vector(list, &layer->o_bias, base, "attention.output.dense.bias", d);
        add_layer_norm(list, &layer->attn_norm_w, &layer->attn_norm_b, base,
                       "attention.output.LayerNorm", d, 0);
        add_linear(list, &layer->ff_in, base, "intermediate.dense.weight", d, f);
        add_vector(list, &layer->ff_in_bias, base, "intermediate.dense.bias", f);
        add_linear(list, &layer->ff_out, base, "output.dense.weight", f, d);
        add_vector(list, &layer->ff_out_bias, base, "output.dense.bias", d);
        add_layer_norm(list, &layer->ff_norm_w, &layer->ff_norm_b, base, "output.LayerNorm", d,
                       0);
    }

    /* The masked-LM head is optional as a whole: BertModel checkpoints lack it. */
    add_linear(list, &w->mlm_dense, "", "cls.predictions.transform.dense.weight", d, d)
        ->optional = 1;
    add_vector(list, &w->mlm_dense_bias, "", "cls.predictions.transform.dense.bias", d)
        ->optional = 1;
    add_layer_norm(list, &w->mlm_norm_w, &w->mlm_norm_b, "",
                   "cls.predictions.transform.LayerNorm", d, 1);
    weight_spec *bias = add_vector(list, &w->mlm_bias, "", "cls.predictions.bias",
                                   c->vocab_size);
    spec_name(bias, "cls.predictions.decoder.bias");
    bias->optional = 1;
}

static void build_gpt2_specs(hs_model *m, spec_list *list, const char *p)
{
    const hs_config *c = &m->config;
    hs_weights *w = &m->weights;
    int d = c->d_model, f = c->d_ff;
    char base[NAME_CAPACITY];

    weight_spec *wte = spec_add(list, 2, c->vocab_size, d);
    wte->target = &w->token_embedding;
    spec_name(wte, "%swte.weight", p);
    weight_spec *wpe = spec_add(list, 2, c->max_positions, d);
    wpe->target = &w->position_embedding;
    spec_name(wpe, "%swpe.weight", p);

    for (int i = 0; i < c->n_layers; i++) {
        hs_layer *layer = &w->layers[i];
        snprintf(base, sizeof base, "%sh.%d.", p, i);
        add_layer_norm(list, &layer->attn_norm_w, &layer->attn_norm_b, base, "ln_1", d, 0);
        add_conv1d(list, &layer->q, base, "attn.c_attn.weight", d, d, 1);
        add_conv1d(list, &layer->k, base, "attn.c_attn.weight", d, d, 2);
        add_conv1d(list, &layer->v, base, "attn.c_attn.weight", d, d, 3);
        /* k_bias and v_bias point into this [3d] vector; see finish_binding(). */
        add_vector(list, &layer->q_bias, base, "attn.c_attn.bias", 3 * d);
        add_conv1d(list, &layer->o, base, "attn.c_proj.weight", d, d, 0);
        add_vector(list, &layer->o_bias, base, "attn.c_proj.bias", d);
        add_layer_norm(list, &layer->ff_norm_w, &layer->ff_norm_b, base, "ln_2", d, 0);
        add_conv1d(list, &layer->ff_in, base, "mlp.c_fc.weight", d, f, 0);
        add_vector(list, &layer->ff_in_bias, base, "mlp.c_fc.bias", f);
        add_conv1d(list, &layer->ff_out, base, "mlp.c_proj.weight", f, d, 0);
        add_vector(list, &layer->ff_out_bias, base, "mlp.c_proj.bias", d);
    }
    add_layer_norm(list, &w->final_norm_w, &w->final_norm_b, p, "ln_f", d, 0);
}

static void build_llama_specs(hs_model *m, spec_list *list)
{
    const hs_config *c = &m->config;
    hs_weights *w = &m->weights;
    int d = c->d_model, f = c->d_ff;
    int q_size = c->n_heads * c->d_head, kv_size = c->n_kv_heads * c->d_head;
    char base[NAME_CAPACITY];

    weight_spec *embed = spec_add(list, 2, c->vocab_size, d);
    embed->target = &w->token_embedding;
    spec_name(embed, "model.embed_tokens.weight");

    for (int i = 0; i < c->n_layers; i++) {
        hs_layer *layer = &w->layers[i];
        snprintf(base, sizeof base, "model.layers.%d.", i);
        add_vector(list, &layer->attn_norm_w, base, "input_layernorm.weight", d);
        add_linear(list, &layer->q, base, "self_attn.q_proj.weight", d, q_size);
        add_linear(list, &layer->k, base, "self_attn.k_proj.weight", d, kv_size);
        add_linear(list, &layer->v, base, "self_attn.v_proj.weight", d, kv_size);
        add_vector(list, &layer->q_bias, base, "self_attn.q_proj.bias", q_size)->optional =
            !c->qkv_bias;
        add_vector(list, &layer->k_bias, base, "self_attn.k_proj.bias", kv_size)->optional =
            !c->qkv_bias;
        add_vector(list, &layer->v_bias, base, "self_attn.v_proj.bias", kv_size)->optional =
            !c->qkv_bias;
        add_linear(list, &layer->o, base, "self_attn.o_proj.weight", q_size, d);
        add_vector(list, &layer->o_bias, base, "self_attn.o_proj.bias", d)->optional = 1;
        add_vector(list, &layer->ff_norm_w, base, "post_attention_layernorm.weight", d);
        add_linear(list, &layer->ff_in, base, "mlp.gate_proj.weight", d, f);
        add_linear(list, &layer->ff_up, base, "mlp.up_proj.weight", d, f);
        add_linear(list, &layer->ff_out, base, "mlp.down_proj.weight", f, d);
    }
    add_vector(list, &w->final_norm_w, "", "model.norm.weight", d);
    weight_spec *head = spec_add(list, 2, c->vocab_size, d);
    head->target = &w->lm_head;
    head->optional = c->tie_word_embeddings; /* untied: the output embedding is required */
    spec_name(head, "lm_head.weight");
}

/* ---- files ------------------------------------------------------------- */

static const hs_tensor *find_tensor(const hs_model *m, const char *name,
                                    const hs_safetensors **file)
{
    for (size_t i = 0; i < m->n_files; i++) {
        const hs_tensor *t = hs_safetensors_find(m->files[i], name);
        if (t) {
            *file = m->files[i];
            return t;
        }
    }
    return NULL;
}

static int add_file(hs_model *m, const char *path)
{
    hs_safetensors *file = hs_safetensors_open(path);
    if (!file)
        return -1;
    hs_safetensors **grown = realloc(m->files, (m->n_files + 1) * sizeof *grown);
    if (!grown) {
        hs_safetensors_close(file);
        hs_error_set("%s: out of memory", path);
        return -1;
    }
    m->files = grown;
    m->files[m->n_files++] = file;
    return 0;
}

/* Opens model.safetensors, or every shard that the index names. */
static int open_weights(hs_model *m)
{
    char path[4096];
    /* Anything at these names is opened, so a folder, a named pipe or a
     * broken symbolic link is reported as such instead of as missing. */
    snprintf(path, sizeof path, "%s/model.safetensors", m->dir);
    if (hs_path_exists(path))
        return add_file(m, path);

    snprintf(path, sizeof path, "%s/model.safetensors.index.json", m->dir);
    if (!hs_path_exists(path)) {
        hs_error_set("%s: no model.safetensors and no model.safetensors.index.json (only the "
                     "safetensors format is supported)",
                     m->dir);
        return -1;
    }
    size_t size = 0;
    char *text = hs_read_file(path, &size);
    if (!text)
        return -1;
    int status = -1;
    cJSON *root = hs_json_parse(text, size, path);
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    if (!root)
        goto done;
    if (!cJSON_IsObject(map)) {
        hs_error_set("%s: missing 'weight_map' object", path);
        goto done;
    }
    const cJSON *entry;
    cJSON_ArrayForEach(entry, map)
    {
        if (!cJSON_IsString(entry) || strchr(entry->valuestring, '/')) {
            hs_error_set("%s: weight_map entry '%s' must name a file in the same folder", path,
                         entry->string);
            goto done;
        }
        char shard[4096];
        snprintf(shard, sizeof shard, "%s/%s", m->dir, entry->valuestring);
        int seen = 0;
        for (size_t i = 0; i < m->n_files && !seen; i++)
            seen = strcmp(hs_safetensors_path(m->files[i]), shard) == 0;
        if (!seen && add_file(m, shard) != 0) {
            hs_error_prefix("%s: tensor '%s'", path, entry->string);
            goto done;
        }
    }
    status = 0;
done:
    cJSON_Delete(root);
    free(text);
    return status;
}

/* ---- binding ----------------------------------------------------------- */

static void format_dims(const int64_t *shape, int ndim, char *out, size_t size)
{
    size_t used = (size_t)snprintf(out, size, "[");
    for (int d = 0; d < ndim && used < size; d++)
        used += (size_t)snprintf(out + used, size - used, "%s%lld", d ? ", " : "",
                                 (long long)shape[d]);
    if (used < size)
        snprintf(out + used, size - used, "]");
}

static int is_float_dtype(hs_dtype dtype)
{
    return dtype == HS_DTYPE_F32 || dtype == HS_DTYPE_F16 || dtype == HS_DTYPE_BF16;
}

static int needs_copy(const hs_tensor *t)
{
    return t->dtype != HS_DTYPE_F32 || ((uintptr_t)t->data % sizeof(float)) != 0;
}

/* Writes the path that names the model's weights in messages: the single
 * file, or the shard index. */
static void weights_path(const hs_model *m, char *out, size_t size)
{
    if (m->n_files == 1)
        snprintf(out, size, "%s", hs_safetensors_path(m->files[0]));
    else
        snprintf(out, size, "%s/model.safetensors.index.json", m->dir);
}

/* Finds every spec's tensor and checks its dtype and shape. */
static int find_specs(hs_model *m, spec_list *list)
{
    char weights_name[4096];
    weights_path(m, weights_name, sizeof weights_name);
    for (size_t i = 0; i < list->count; i++) {
        weight_spec *spec = &list->specs[i];
        for (int k = 0; k < spec->n_names && !spec->found; k++)
            spec->found = find_tensor(m, spec->names[k], &spec->file);
        if (!spec->found) {
            if (spec->optional)
                continue;
            hs_error_set("%s: missing tensor '%s'%s%s%s", weights_name, spec->names[0],
                         spec->n_names > 1 ? " (also looked for '" : "",
                         spec->n_names > 1 ? spec->names[1] : "", spec->n_names > 1 ? "')" : "");
            return -1;
        }
        const hs_tensor *t = spec->found;
        if (!is_float_dtype(t->dtype)) {
            hs_error_set("%s: tensor '%s' has dtype %s, expected F32, F16 or BF16",
                         hs_safetensors_path(spec->file), t->name, hs_dtype_name(t->dtype));
            return -1;
        }
        int shape_ok = t->ndim == spec->ndim;
        for (int d = 0; shape_ok && d < spec->ndim; d++)
            shape_ok = t->shape[d] == spec->shape[d];
        if (!shape_ok) {
            char found[160], expected[160];
            format_dims(t->shape, t->ndim, found, sizeof found);
            format_dims(spec->shape, spec->ndim, expected, sizeof expected);
            hs_error_set("%s: tensor '%s' has shape %s, config.json expects %s",
                         hs_safetensors_path(spec->file), t->name, found, expected);
            return -1;
        }
    }
    return 0;
}

/* Converts tensors that cannot be used in place into one arena and points
 * every target at its float32 data. A tensor shared by several specs (the
 * GPT-2 c_attn weight) is converted once. */
static int bind_specs(hs_model *m, spec_list *list, hs_progress_fn progress, void *user)
{
    size_t total = 0;
    for (size_t i = 0; i < list->count; i++) {
        const hs_tensor *t = list->specs[i].found;
        int first = 1;
        for (size_t j = 0; j < i && first; j++)
            first = list->specs[j].found != t;
        if (t && first) {
            m->param_count += t->count;
            if (needs_copy(t))
                total += (size_t)t->count;
        }
    }
    if (total) {
        m->arena = malloc(total * sizeof(float));
        if (!m->arena) {
            hs_error_set("%s: out of memory: converting the weights needs %zu MB", m->dir,
                         total * sizeof(float) >> 20);
            return -1;
        }
        m->arena_floats = total;
    }

    size_t used = 0;
    int have_f32 = 0, have_f16 = 0, have_bf16 = 0;
    for (size_t i = 0; i < list->count; i++) {
        weight_spec *spec = &list->specs[i];
        const hs_tensor *t = spec->found;
        const float *data = NULL;
        if (!t)
            continue;
        have_f32 |= t->dtype == HS_DTYPE_F32;
        have_f16 |= t->dtype == HS_DTYPE_F16;
        have_bf16 |= t->dtype == HS_DTYPE_BF16;
        for (size_t j = 0; j < i && !data; j++)
            if (list->specs[j].found == t)
                data = list->specs[j].matrix ? list->specs[j].matrix->data
                                             : *list->specs[j].target;
        /* For a shared tensor, data is now the first spec's pointer, which
         * for the fused c_attn weight is the start of the whole matrix. */
        if (!data && needs_copy(t)) {
            float *out = m->arena + used;
            hs_tensor_convert_f32(t, out);
            hs_safetensors_release(spec->file, t);
            used += (size_t)t->count;
            data = out;
        } else if (!data) {
            data = t->data;
        }
        if (spec->matrix) {
            int offset = spec->conv1d_split ? (spec->conv1d_split - 1) * spec->matrix->out : 0;
            spec->matrix->data = data + offset;
        } else {
            *spec->target = data;
        }
        if (progress && total)
            progress((float)used / (float)total, user);
    }
    snprintf(m->weight_dtype, sizeof m->weight_dtype, "%s",
             have_f32 + have_f16 + have_bf16 > 1 ? "mixed"
             : have_f16                           ? "F16"
             : have_bf16                          ? "BF16"
                                                  : "F32");
    return 0;
}

/* Finishes what the spec table cannot express. */
static void finish_binding(hs_model *m)
{
    hs_weights *w = &m->weights;
    const hs_config *c = &m->config;

    if (c->arch == HS_ARCH_GPT2) {
        /* c_attn.bias [3d] is the q, k and v biases back to back. */
        for (int i = 0; i < c->n_layers; i++) {
            hs_layer *layer = &w->layers[i];
            layer->k_bias = layer->q_bias + c->d_model;
            layer->v_bias = layer->q_bias + 2 * c->d_model;
        }
    }
    if (c->arch != HS_ARCH_BERT && !w->lm_head)
        w->lm_head = w->token_embedding; /* tied output embedding */
}

/* ---- public ------------------------------------------------------------ */

static char *display_name(const char *request, const char *dir)
{
    if (!hs_dir_exists(request))
        return strdup(request); /* a hub name */
    size_t length = strlen(dir);
    while (length > 1 && dir[length - 1] == '/')
        length--;
    size_t start = length;
    while (start > 0 && dir[start - 1] != '/')
        start--;
    return strndup(dir + start, length - start);
}

static int load_config(hs_model *m)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", m->dir);
    size_t size = 0;
    char *text = hs_read_file(path, &size);
    if (!text)
        return -1;
    if (strlen(text) != size) {
        hs_error_set("%s: not valid JSON: NUL byte at byte %zu", path, strlen(text));
        free(text);
        return -1;
    }
    int status = hs_config_parse(&m->config, text, path);
    free(text);
    return status;
}

static int check_bert_head(hs_model *m)
{
    const hs_weights *w = &m->weights;
    const struct {
        const void *data;
        const char *name;
    } parts[] = {
        {w->mlm_dense.data, "cls.predictions.transform.dense.weight"},
        {w->mlm_dense_bias, "cls.predictions.transform.dense.bias"},
        {w->mlm_norm_w, "cls.predictions.transform.LayerNorm.weight"},
        {w->mlm_norm_b, "cls.predictions.transform.LayerNorm.bias"},
        {w->mlm_bias, "cls.predictions.bias"},
    };
    int n_parts = (int)(sizeof parts / sizeof parts[0]);
    int present = 0;
    const char *missing = NULL;
    for (int i = 0; i < n_parts; i++) {
        present += parts[i].data != NULL;
        if (!parts[i].data && !missing)
            missing = parts[i].name;
    }
    if (present != 0 && present != n_parts) {
        char weights_name[4096];
        weights_path(m, weights_name, sizeof weights_name);
        hs_error_set("%s: the masked-LM head (cls.predictions.*) is incomplete: %d of its %d "
                     "tensors are present, missing tensor '%s'",
                     weights_name, present, n_parts, missing);
        return -1;
    }
    return 0;
}

hs_model *hs_model_load(const char *request, hs_progress_fn progress, void *user)
{
    spec_list specs = {0};
    hs_model *m = calloc(1, sizeof *m);

    if (!m) {
        hs_error_set("out of memory");
        return NULL;
    }
    m->dir = hs_model_resolve(request);
    if (!m->dir)
        goto fail;
    m->name = display_name(request, m->dir);
    if (load_config(m) != 0 || open_weights(m) != 0)
        goto fail;

    const hs_config *c = &m->config;
    m->weights.layers = calloc((size_t)c->n_layers, sizeof(hs_layer));
    if (!m->weights.layers) {
        hs_error_set("out of memory");
        goto fail;
    }
    const hs_safetensors *unused;
    switch (c->arch) {
    case HS_ARCH_BERT:
        build_bert_specs(m, &specs,
                         find_tensor(m, "bert.embeddings.word_embeddings.weight", &unused)
                             ? "bert."
                             : "");
        break;
    case HS_ARCH_GPT2:
        build_gpt2_specs(m, &specs, find_tensor(m, "transformer.wte.weight", &unused)
                                        ? "transformer."
                                        : "");
        break;
    case HS_ARCH_LLAMA:
        build_llama_specs(m, &specs);
        break;
    }
    if (find_specs(m, &specs) != 0 || bind_specs(m, &specs, progress, user) != 0)
        goto fail;
    finish_binding(m);
    if (c->arch == HS_ARCH_BERT && check_bert_head(m) != 0)
        goto fail;
    free(specs.specs);

    m->tokenizer = hs_tokenizer_load(m->dir, c->model_type);
    if (!m->tokenizer)
        m->tokenizer_error = strdup(hs_error_message());
    if (progress)
        progress(1.0f, user);
    return m;
fail:
    free(specs.specs);
    hs_model_free(m);
    return NULL;
}

void hs_model_free(hs_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_files; i++)
        hs_safetensors_close(m->files[i]);
    free(m->files);
    free(m->arena);
    free(m->weights.layers);
    hs_tokenizer_free(m->tokenizer);
    free(m->tokenizer_error);
    free(m->dir);
    free(m->name);
    free(m);
}

const hs_config *hs_model_config(const hs_model *m)
{
    return &m->config;
}

const char *hs_model_dir(const hs_model *m)
{
    return m->dir;
}

const char *hs_model_name(const hs_model *m)
{
    return m->name;
}

const hs_tokenizer *hs_model_tokenizer(const hs_model *m)
{
    return m->tokenizer;
}

const char *hs_model_tokenizer_error(const hs_model *m)
{
    return m->tokenizer_error ? m->tokenizer_error : "";
}

int64_t hs_model_param_count(const hs_model *m)
{
    return m->param_count;
}

const char *hs_model_weight_dtype(const hs_model *m)
{
    return m->weight_dtype;
}

int hs_model_has_lm_head(const hs_model *m)
{
    if (m->config.arch == HS_ARCH_BERT)
        return m->weights.mlm_dense.data != NULL;
    return m->weights.lm_head != NULL;
}
