#!/usr/bin/env python3
"""Generate tests/data/aqi_golden.csv: IAQI vectors for every column of HJ 633-2012 Table 1 and
HJ 633-2026 Table 3, computed by an exact calculator independent of the C code.

Independence: the breakpoints are read from the shared transcription of the standards
(/work/shared/data/standards/iaqi_breakpoints_hj633.csv, or the path given as argv[1]), not from
src/aq/aqi.c; the arithmetic is Python's fractions.Fraction (exact rationals) with math.ceil on
an exact rational; the input rounding is Python's round() on an exact decimal Fraction, which is
round-half-to-even (GB/T 8170-2008 3.3).

Rows: every breakpoint of every column of both editions, one step below (1 ug/m3, or 0.1 mg/m3
for CO), at, and one step above; the integer midpoint of every segment; values above the top of
every table; the other edition's breakpoints; the SO2 1-h > 800 and O3 8-h > 800 special cases; and GB/T 8170 rounding of inputs.

Usage: python3 tests/data/gen_aqi_golden.py [breakpoints.csv] > tests/data/aqi_golden.csv
"""
import csv
import math
import os
import sys
from fractions import Fraction

IAQI = [0, 50, 100, 150, 200, 300, 400, 500]
DEFAULT_BP = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared',
                          'data', 'standards', 'iaqi_breakpoints_hj633.csv')
# Shared CSV indicator -> the C name (lt_aqi_ind_name).
NAMES = {'SO2_24h': 'SO2_24h', 'SO2_1h': 'SO2_1h', 'NO2_24h': 'NO2_24h', 'NO2_1h': 'NO2_1h',
         'CO_24h': 'CO_24h', 'CO_1h': 'CO_1h', 'O3_1h': 'O3_1h', 'O3_8h': 'O3_8h',
         'PM10_24h': 'PM10_24h', 'PM25_24h': 'PM2.5_24h'}


def load(path):
    tables = {}
    with open(path, encoding='utf-8') as f:
        for row in csv.DictReader(f):
            ed = row['standard'].split('-')[1]
            bps = []
            for k in IAQI:
                v = row['IAQI_%d' % k].strip()
                if v == '':
                    break
                bps.append(Fraction(v))
            tables[(ed, NAMES[row['indicator']])] = bps
    return tables


def clause(ed, ind, extra=''):
    base = 'HJ 633-2012 Table 1' if ed == '2012' else 'HJ 633-2026 Table 3'
    return base + (('; ' + extra) if extra else '')


def gbt8170(conc, ind):
    """GB/T 8170 half-even rounding: integers, CO to 0.1 mg/m3."""
    q = Fraction(conc)
    if ind.startswith('CO'):
        return Fraction(round(q * 10), 10)
    return Fraction(round(q))


def iaqi(tables, ed, ind, conc):
    """(iaqi, flags, exact) per HJ 633; iaqi is 'NA' for the 2012 substitution cases."""
    bps = tables[(ed, ind)]
    c = gbt8170(conc, ind)
    top = bps[-1]
    if c > top and ind == 'SO2_1h':
        return ('NA', 'SUBST', '') if ed == '2012' else (200, 'SPECIAL', '')
    if c > top and ind == 'O3_8h':
        return ('NA', 'SUBST', '') if ed == '2012' else (300, 'SPECIAL', '')
    if c > top:
        return 500, 'CAPPED', ''
    if c == 0:
        return 0, '', '0'
    k = 1
    while c > bps[k]:
        k += 1
    exact = Fraction(IAQI[k] - IAQI[k - 1]) * (c - bps[k - 1]) / (bps[k] - bps[k - 1]) + IAQI[k - 1]
    return math.ceil(exact), '', str(exact)


def fmt(x, ind):
    if ind.startswith('CO'):
        return '%.1f' % x if isinstance(x, Fraction) else x
    return str(int(x)) if isinstance(x, Fraction) else x


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_BP
    tables = load(path)
    rows = []
    seen = set()

    def add(ed, ind, conc, note, extra=''):
        key = (ed, ind, conc)
        if key in seen:
            return
        seen.add(key)
        v, flags, exact = iaqi(tables, ed, ind, conc)
        rows.append([ed, ind, conc, v, flags, exact, clause(ed, ind, extra), note])

    for ed in ('2012', '2026'):
        for ind in NAMES.values():
            bps = tables[(ed, ind)]
            step = Fraction(1, 10) if ind.startswith('CO') else Fraction(1)
            eq = 'eq. (1), 6.2 ceil' if ed == '2012' else 'eq. (1), 4.2.6 ceil'
            for i, bp in enumerate(bps):
                if bp - step >= 0:
                    add(ed, ind, fmt(bp - step, ind), 'breakpoint IAQI %d - 1 step' % IAQI[i], eq)
                add(ed, ind, fmt(bp, ind), 'at breakpoint IAQI %d' % IAQI[i], eq)
                if i + 1 < len(bps):
                    add(ed, ind, fmt(bp + step, ind), 'breakpoint IAQI %d + 1 step' % IAQI[i], eq)
                if i > 0:
                    lo = bps[i - 1]
                    mid = lo + (((bp - lo) / step) // 2) * step
                    add(ed, ind, fmt(mid, ind), 'midpoint of IAQI %d..%d' % (IAQI[i - 1], IAQI[i]),
                        eq)
            # The breakpoints the other edition has and this one has not (PM at IAQI 100).
            other = tables[('2026' if ed == '2012' else '2012', ind)]
            for bp in other:
                if bp not in bps:
                    for c in (bp - step, bp, bp + step):
                        add(ed, ind, fmt(c, ind), 'the other edition\'s breakpoint %s' % fmt(bp, ind),
                            eq)
            top = bps[-1]
            if ind == 'SO2_1h':
                x = 'note (2): report the SO2 24-h IAQI' if ed == '2012' else 'note b: IAQI = 200'
                for c in (top + 1, Fraction(801, 1), Fraction(1000), Fraction(5000)):
                    add(ed, ind, fmt(c, ind), 'SO2 1-h > 800', x)
                add(ed, ind, '800.4', 'SO2 1-h 800.4 rounds to 800: not > 800', x)
                add(ed, ind, '800.5', 'SO2 1-h 800.5 rounds half-even to 800: not > 800', x)
                add(ed, ind, '800.6', 'SO2 1-h 800.6 rounds to 801: > 800', x)
            elif ind == 'O3_8h':
                x = 'note (3): report the O3 1-h IAQI' if ed == '2012' else 'note c: IAQI = 300'
                for c in (top + 1, Fraction(1000), Fraction(5000)):
                    add(ed, ind, fmt(c, ind), 'O3 8-h > 800', x)
                add(ed, ind, '801.5', 'O3 8-h 801.5 rounds half-even to 802: > 800', x)
            else:
                x = 'above the top: capped at 500 (standard silent)'
                add(ed, ind, fmt(top + step, ind), 'above the top, + 1 step', x)
                add(ed, ind, fmt(top * 2, ind), 'above the top, x2', x)
                add(ed, ind, fmt(top * 1000, ind), 'far above the top', x)
            # GB/T 8170 rounding of the input: half to even, once.
            r = 'GB/T 8170-2008 3.3 half-even; HJ 633-2026 4.2.3'
            if ind.startswith('CO'):
                for c in ('2.05', '2.15', '2.25', '2.35', '0.05', '0.15', '2.04', '2.06',
                          '4.05', '9.95', '10.05', '2.1', '0.04'):
                    add(ed, ind, c, 'input rounding to 0.1 mg/m3', r)
            else:
                for c in ('74.5', '75.5', '76.5', '75.4', '75.6', '0.5', '1.5', '0.4', '59.5',
                          '60.5', '119.5', '120.5', '149.5', '150.5', '35.5', '34.5'):
                    add(ed, ind, c, 'input rounding to 1 ug/m3', r)

    w = csv.writer(sys.stdout, lineterminator='\n')
    w.writerow(['edition', 'indicator', 'conc', 'expected_iaqi', 'expected_flags', 'exact',
                'clause', 'note'])
    for row in rows:
        w.writerow(row)


if __name__ == '__main__':
    main()
