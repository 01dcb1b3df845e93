module leakscan.dev/gotrace

go 1.26.0

require (
	github.com/google/pprof v0.0.0-20230602150820-91b7bce49751
	golang.org/x/exp v0.0.0-20261113113407-e3970619a1a4
)
