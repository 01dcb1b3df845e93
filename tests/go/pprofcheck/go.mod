module leakscan.dev/tests/pprofcheck

go 1.19

require github.com/google/pprof v0.0.0-20230602150820-91b7bce49751
