module leakscan.dev/samples

go 1.19
