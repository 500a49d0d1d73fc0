#!/usr/bin/python3
"""Generate a national-scale year of CNEMC hourly station files for lantian's statistics benchmark.

Output: 365 files china_sites_2019MMDD.csv.gz (or .csv with --plain) in the real quotsoft wide
layout (date,hour,type,<station codes...>), plus stations.csv, in --out
(default bench/data/national-2019, git-ignored).

Where the values come from (all real, nothing is synthesised):
  - Columns: every station code of the real national January 2019 files (1,605 codes), extended
    to --stations-total codes (default 1,700) with a seeded sample of non-control codes (对照点 = N)
    from stations.csv that are not in the national files, so that a station-list merge keeps them.
    Columns are sorted like the real files.
  - January: a national code takes its value from the real national file of that day; an added
    code takes the value of its Henan donor (below) for that date and hour.
  - February..December: every code takes the value of its Henan donor station for that date and
    hour. Rows (hour, type) are those present in the Henan file of the day, in its order, so hours
    missing from the real archive are missing here too. 2019-04-08 is missing from the Henan
    archive; the nearest available day (ties: the earlier one) stands in, with its date rewritten.
  - Donors: the Henan stations present in every file of the year with data in at least half of
    their cells (the archive also holds stations that never report). Mapping is per city and
    seeded: each national city gets one Henan city (a seeded choice), and the city's stations are
    dealt to that city's donors in turn, so stations of one city stay correlated as in reality. Codes that
    stations.csv does not know (two in January 2019) get a seeded donor directly.

Deterministic: the same --seed gives byte-identical files (gzip header mtime 0, no file name).
Runs with /usr/bin/python3, standard library only; days are written in parallel (--jobs).
"""
import argparse
import csv
import datetime
import gzip
import io
import multiprocessing
import operator
import os
import random
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(REPO), "shared", "data", "cnemc")
TYPES = ["AQI", "PM2.5", "PM2.5_24h", "PM10", "PM10_24h", "SO2", "SO2_24h", "NO2", "NO2_24h",
         "O3", "O3_24h", "O3_8h", "O3_8h_24h", "CO", "CO_24h"]
YEAR = 2019

# Filled in the parent before the worker pool forks (read-only in workers).
G = {}


def read_gz_lines(path):
    with gzip.open(path, "rb") as f:
        data = f.read().decode("utf-8-sig")
    return [ln for ln in data.splitlines() if ln]


def header_codes(path):
    with gzip.open(path, "rt", encoding="utf-8-sig") as f:
        return f.readline().rstrip("\r\n").split(",")[3:]


def days_of_year():
    d = datetime.date(YEAR, 1, 1)
    out = []
    while d.year == YEAR:
        out.append(d.strftime("%Y%m%d"))
        d += datetime.timedelta(days=1)
    return out


def nearest(day, available_sorted):
    """Nearest available day (ties: the earlier one)."""
    if day in G.get("henan_set", ()):
        return day
    t = datetime.datetime.strptime(day, "%Y%m%d").date()
    best = None
    for a in available_sorted:
        dist = abs((datetime.datetime.strptime(a, "%Y%m%d").date() - t).days)
        if best is None or dist < best[0]:
            best = (dist, a)
    return best[1]


def plan(args):
    """Choose columns and donors. Returns a dict of everything the workers need."""
    rng = random.Random(args.seed)
    nat_dir = os.path.join(args.shared, "national-2019-01")
    hen_dir = os.path.join(args.shared, "henan-2019")
    st_path = os.path.join(args.shared, "stations.csv")

    with open(st_path, encoding="utf-8-sig", newline="") as f:
        stations = {r["监测点编码"]: r for r in csv.DictReader(f)}

    nat_files = sorted(f for f in os.listdir(nat_dir) if f.endswith(".csv.gz"))
    nat_days = {f[len("china_sites_"):len("china_sites_") + 8]: os.path.join(nat_dir, f)
                for f in nat_files}
    nat_codes = header_codes(os.path.join(nat_dir, nat_files[0]))
    for p in nat_days.values():
        if header_codes(p) != nat_codes:
            sys.exit("gen: national January headers differ; this generator assumes one column set")

    hen_files = sorted(f for f in os.listdir(hen_dir) if f.endswith(".csv.gz"))
    hen_days = {f[len("china_sites_"):len("china_sites_") + 8]: os.path.join(hen_dir, f)
                for f in hen_files}

    # Donor quality: presence in every file and share of non-empty cells.
    present = None
    filled, total = {}, {}
    for p in hen_days.values():
        lines = read_gz_lines(p)
        codes = lines[0].split(",")[3:]
        present = set(codes) if present is None else present & set(codes)
        for ln in lines[1:]:
            cells = ln.split(",")[3:]
            for c, v in zip(codes, cells):
                total[c] = total.get(c, 0) + 1
                if v:
                    filled[c] = filled.get(c, 0) + 1
    donors = sorted(c for c in present if filled.get(c, 0) >= 0.5 * total[c] and c in stations)
    by_city = {}
    for c in donors:
        by_city.setdefault(stations[c]["城市"], []).append(c)
    hen_cities = sorted(by_city)

    # Columns: national codes plus a seeded sample of non-control stations.csv codes.
    nat_set = set(nat_codes)
    candidates = sorted(c for c, r in stations.items() if c not in nat_set and r["对照点"] == "N")
    n_add = max(0, args.stations_total - len(nat_codes))
    if n_add > len(candidates):
        sys.exit("gen: stations.csv has only %d extra non-control codes" % len(candidates))
    added = sorted(rng.sample(candidates, n_add))
    columns = sorted(nat_codes + added)

    # Donor per column: city-coherent, seeded.
    cities = sorted({stations[c]["城市"] for c in columns if c in stations})
    city_map = {city: rng.choice(hen_cities) for city in cities}
    next_in_city = {}
    donor_of = {}
    for c in columns:
        if c in stations:
            hc = city_map[stations[c]["城市"]]
            k = next_in_city.get(hc, 0)
            donor_of[c] = by_city[hc][k % len(by_city[hc])]
            next_in_city[hc] = k + 1
        else:
            donor_of[c] = rng.choice(donors)

    unknown = [c for c in columns if c not in stations]
    return {
        "columns": columns, "nat_codes": nat_codes, "added": added, "donor_of": donor_of,
        "nat_days": nat_days, "hen_days": hen_days, "hen_sorted": sorted(hen_days),
        "henan_set": set(hen_days), "donors": donors, "unknown": unknown,
        "n_cities": len(cities), "st_path": st_path,
    }


def henan_getter(hen_header_codes, columns, donor_of):
    """itemgetter over (henan cells + ['']) giving the output cells in column order."""
    pos = {c: i for i, c in enumerate(hen_header_codes)}
    blank = len(hen_header_codes)
    return operator.itemgetter(*[pos.get(donor_of[c], blank) for c in columns])


def make_day(day):
    """Write one day's file; returns (day, bytes written uncompressed, rows)."""
    cfg = G
    columns, donor_of = cfg["columns"], cfg["donor_of"]
    src_day = day if day in cfg["henan_set"] else nearest(day, cfg["hen_sorted"])
    hlines = read_gz_lines(cfg["hen_days"][src_day])
    hcodes = hlines[0].split(",")[3:]
    nh = len(hcodes)
    hrows = {}
    horder = []
    for ln in hlines[1:]:
        cells = ln.split(",")
        key = (cells[1], cells[2])
        if key in hrows:  # a repeated (hour, type) row: keep the first, as a reader would
            continue
        rest = cells[3:]
        if len(rest) < nh:
            rest += [""] * (nh - len(rest))
        hrows[key] = rest[:nh]
        horder.append(key)

    out = io.StringIO()
    out.write("date,hour,type," + ",".join(columns) + "\n")
    rows = 0
    if day in cfg["nat_days"]:
        nlines = read_gz_lines(cfg["nat_days"][day])
        ncodes = nlines[0].split(",")[3:]
        nn = len(ncodes)
        npos = {c: i for i, c in enumerate(ncodes)}
        hpos = {c: i for i, c in enumerate(hcodes)}
        blank = nn + nh
        idx = []
        for c in columns:
            if c in npos:
                idx.append(npos[c])
            else:
                idx.append(nn + hpos[donor_of[c]] if donor_of[c] in hpos else blank)
        get = operator.itemgetter(*idx)
        empty_h = [""] * nh
        for ln in nlines[1:]:
            cells = ln.split(",")
            rest = cells[3:]
            if len(rest) < nn:
                rest += [""] * (nn - len(rest))
            comb = rest[:nn] + hrows.get((cells[1], cells[2]), empty_h) + [""]
            out.write(day + "," + cells[1] + "," + cells[2] + "," + ",".join(get(comb)) + "\n")
            rows += 1
    else:
        get = henan_getter(hcodes, columns, donor_of)
        for key in horder:
            comb = hrows[key] + [""]
            out.write(day + "," + key[0] + "," + key[1] + "," + ",".join(get(comb)) + "\n")
            rows += 1

    data = out.getvalue().encode("utf-8")
    name = "china_sites_%s.csv" % day
    dest = os.path.join(cfg["out"], name + ("" if cfg["plain"] else ".gz"))
    tmp = dest + ".tmp"
    with open(tmp, "wb") as f:
        if cfg["plain"]:
            f.write(data)
        else:
            # mtime 0 and no file name in the header: byte-identical output for a given seed.
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=cfg["level"],
                               mtime=0) as gz:
                gz.write(data)
    os.replace(tmp, dest)
    return day, len(data), rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "data", "national-2019"))
    ap.add_argument("--plain", action="store_true", help="write uncompressed .csv files")
    ap.add_argument("--shared", default=SHARED, help="shared/data/cnemc directory")
    ap.add_argument("--seed", type=int, default=2019)
    ap.add_argument("--stations-total", type=int, default=1700)
    ap.add_argument("--days", type=int, default=365, help="generate only the first N days")
    ap.add_argument("--level", type=int, default=6, help="gzip level (default 6)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    t0 = time.monotonic()
    cfg = plan(args)
    cfg.update(out=args.out, plain=args.plain, level=args.level)
    G.update(cfg)
    os.makedirs(args.out, exist_ok=True)
    marker = os.path.join(args.out, ".complete")
    if os.path.exists(marker):
        os.remove(marker)

    days = days_of_year()[:args.days]
    if args.jobs > 1:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(args.jobs) as pool:
            results = pool.map(make_day, days, chunksize=4)
    else:
        results = [make_day(d) for d in days]

    # The real station list holds every column code except those listed in `unknown`, which are
    # real January 2019 columns missing from the list (and empty all January); both the peer and
    # lantian drop stations they cannot place in a city.
    shutil.copyfile(cfg["st_path"], os.path.join(args.out, "stations.csv"))

    raw = sum(r[1] for r in results)
    disk = sum(os.path.getsize(os.path.join(args.out, "china_sites_%s.csv%s"
                                            % (r[0], "" if args.plain else ".gz")))
               for r in results)
    summary = ("days=%d columns=%d (national %d + added %d) cities=%d donors=%d "
               "unknown_to_stations_csv=%s rows=%d raw_bytes=%d disk_bytes=%d seed=%d plain=%d"
               % (len(days), len(cfg["columns"]), len(cfg["nat_codes"]), len(cfg["added"]),
                  cfg["n_cities"], len(cfg["donors"]), ",".join(cfg["unknown"]) or "-",
                  sum(r[2] for r in results), raw, disk, args.seed, int(args.plain)))
    with open(marker, "w", encoding="utf-8") as f:
        f.write(summary + "\n")
    print("gen: " + summary)
    print("gen: %.1f s" % (time.monotonic() - t0))


if __name__ == "__main__":
    main()
