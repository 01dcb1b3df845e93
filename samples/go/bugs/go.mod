module leakscan.dev/bugs

go 1.19
