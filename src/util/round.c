/* lantian — rounding per GB/T 8170-2008 (数值修约规则). */
#include <math.h>

#include "lantian/util.h"

static const double lt__pow10[] = {1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0, 1000000.0};

/* GB/T 8170-2008 3.3: when the first dropped digit is above 5 round up, below 5 round down, and
 * exactly 5 with nothing after it round to the even neighbour ("四舍六入五成双"). Concentrations
 * are decimal numbers held in binary doubles (e.g. 2.05 is 2.04999999999999982...), so "exactly 5"
 * is recognised within a relative 1e-9 of the half: far below any measuring precision, far above
 * the representation error of a double. */
double lt_round_half_even(double x, int decimals)
{
    if (isnan(x) || isinf(x))
        return x;
    if (decimals < 0)
        decimals = 0;
    if (decimals > 6)
        decimals = 6;
    double scale = lt__pow10[decimals];
    double y = x * scale;
    double neg = y < 0 ? -1.0 : 1.0;
    y = fabs(y);
    double fl = floor(y);
    double frac = y - fl;
    double tol = 1e-9 * (y > 1.0 ? y : 1.0);
    double r;
    if (fabs(frac - 0.5) <= tol)
        r = fmod(fl, 2.0) == 0.0 ? fl : fl + 1.0;
    else if (frac > 0.5)
        r = fl + 1.0;
    else
        r = fl;
    r = neg * r / scale;
    return r == 0.0 ? 0.0 : r; /* no negative zero */
}
