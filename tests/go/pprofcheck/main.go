// Command pprofcheck parses a pprof profile (gzipped or raw protobuf) with
// github.com/google/pprof/profile, validates it and prints one sorted line
// per sample:
//
//	<value[0]>\t<leaf func>;...;<root func>\t<k=v,...>
//
// followed by "total <sum of value[0]>". It is built in GOPATH mode against
// Debian's golang-github-google-pprof-dev:
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/google/pprof/profile"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pprofcheck PROFILE")
		os.Exit(1)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "pprofcheck:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	p, err := profile.Parse(f) // handles gzip and raw protobuf
	if err != nil {
		return err
	}
	if err := p.CheckValid(); err != nil {
		return err
	}
	if len(p.SampleType) == 0 {
		return fmt.Errorf("%s: no sample types", path)
	}

	var lines []string
	var total int64
	for _, s := range p.Sample {
		var funcs []string
		for _, loc := range s.Location {
			if len(loc.Line) == 0 {
				funcs = append(funcs, fmt.Sprintf("0x%x", loc.Address))
			}
			// Line[0] is the innermost (inlined) frame.
			for _, ln := range loc.Line {
				name := "?"
				if ln.Function != nil {
					name = ln.Function.Name
				}
				funcs = append(funcs, name)
			}
		}
		var labels []string
		for k, vs := range s.Label {
			for _, v := range vs {
				labels = append(labels, k+"="+v)
			}
		}
		for k, vs := range s.NumLabel {
			for _, v := range vs {
				labels = append(labels, fmt.Sprintf("%s=%d", k, v))
			}
		}
		sort.Strings(labels)
		total += s.Value[0]
		lines = append(lines, fmt.Sprintf("%d\t%s\t%s", s.Value[0], strings.Join(funcs, ";"), strings.Join(labels, ",")))
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	fmt.Printf("total %d\n", total)
	return nil
}
