/* The Ziggurat's layer geometry and its exp-free wedge test, exposed for the tests: the squeeze
 * must give the exp test's answer wherever it answers, or the sampler's output changes. */
#ifndef HUSH__RNG_NORMAL_H
#define HUSH__RNG_NORMAL_H

/* x_i of the 256 layers (x_0 = 0, x_255 = r), increasing in i. */
double hush__rng_zig_x(unsigned i);
/* Layer i in 1..255, x in [x_{i-1}, x_i], y in [f(x_i), f(x_{i-1})] with f(x) = exp(-x^2/2):
 * 1 if the lines through the wedge prove y < f(x), -1 if they prove y >= f(x), 0 if undecided. */
int hush__rng_zig_squeeze(unsigned i, double x, double y);

#endif
