/* Hush: private machine learning in the browser. Umbrella header. */
#ifndef HUSH_H
#define HUSH_H
#include "hush/common.h"
#include "hush/rng.h"
#include "hush/mathf.h"
#include "hush/nn.h"
#include "hush/data.h"
#include "hush/dp.h"
#include "hush/pate.h"
#include "hush/channel.h"
#include "hush/federated.h"
#include "hush/mpc.h"
#include "hush/secagg.h"
#include "hush/fl.h"
#include "hush/train.h"
#endif
