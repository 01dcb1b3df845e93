module leakscan.dev/tests/wakepool

go 1.22
