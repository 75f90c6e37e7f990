/* The per-layer rule, owned by nn: which hush_layer_spec values are a layer at all (the field
 * ranges of nn.h's enum hush_layer_kind). The spec parser, hush_model_create and the model file
 * codec (io/modelfile.c, which reads layers from untrusted bytes) all ask this one function, so
 * nn never depends on io to know its own layers. Whether layers fit an input shape is
 * hush__nn_plan's question (nn/model.h). */
#ifndef HUSH__NN_SPEC_H
#define HUSH__NN_SPEC_H

#include "hush/nn.h"

/* HUSH_OK or HUSH_EFORMAT. */
int hush__nn_layer_check(const hush_layer_spec *l);

#endif
