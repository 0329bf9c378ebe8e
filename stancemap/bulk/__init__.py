"""Bulk analysis: a corpus of articles into dyads and a stance timeline, on one machine or a Dask cluster.

``records`` reads and checks article files, ``engine`` cuts them into partitions and runs them (local process
pool or Dask), ``aggregate`` adds the dyads up per period, ``timeline`` draws one pair over time.
"""
