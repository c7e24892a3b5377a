// Command txt2bin converts Go's text-form trace tests (GOROOT/src/internal/trace/testdata/tests/*.test, txtar
// files with an "expect" and a "trace" section) into binary traces, exactly as Go's reader_test.go does through
// testtrace.ParseFile (raw.NewTextReader -> raw.NewWriter), and prints the expectation.
//
// It imports internal/trace/..., so it is built inside the toolchain's source tree: use scripts/gotool.sh txt2bin.
//
//	txt2bin IN.test OUT.trace   writes OUT.trace; prints the expectation to stdout
//	txt2bin -all DIR OUTDIR     converts every DIR/*.test into OUTDIR/NAME.trace and OUTDIR/NAME.expect
//
// The expectation is one line, SUCCESS or FAILURE, and for FAILURE a second line with the (unquoted) regexp
// that the reader's error must match.
package main

import (
	"fmt"
	"internal/trace/testtrace"
	"internal/txtar"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	args := os.Args[1:]
	if len(args) == 3 && args[0] == "-all" {
		if err := convertAll(args[1], args[2]); err != nil {
			fail(err)
		}
		return
	}
	if len(args) != 2 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(os.Stderr, "usage: txt2bin IN.test OUT.trace | txt2bin -all DIR OUTDIR")
		os.Exit(2)
	}
	expect, err := convert(args[0], args[1])
	if err != nil {
		fail(err)
	}
	fmt.Print(expect)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "txt2bin:", err)
	os.Exit(1)
}

func convertAll(dir, outDir string) error {
	tests, err := filepath.Glob(filepath.Join(dir, "*.test"))
	if err != nil {
		return err
	}
	if len(tests) == 0 {
		return fmt.Errorf("no *.test files in %s", dir)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	for _, test := range tests {
		name := strings.TrimSuffix(filepath.Base(test), ".test")
		expect, err := convert(test, filepath.Join(outDir, name+".trace"))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(outDir, name+".expect"), []byte(expect), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("converted %d tests into %s\n", len(tests), outDir)
	return nil
}

// convert writes the binary trace and returns the expectation text.
func convert(testPath, outPath string) (string, error) {
	// Exactly Go's conversion (and its validation of the expectation).
	tr, _, _, err := testtrace.ParseFile(testPath)
	if err != nil {
		return "", err
	}
	data, err := io.ReadAll(tr)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(outPath, data, 0o644); err != nil {
		return "", err
	}
	// The Expectation's fields are unexported: read the header line the way testtrace.ParseExpectation does.
	ar, err := txtar.ParseFile(testPath)
	if err != nil {
		return "", err
	}
	header := strings.SplitN(string(ar.Files[0].Data), "\n", 2)[0]
	c := strings.SplitN(header, " ", 2)
	switch c[0] {
	case "SUCCESS":
		return "SUCCESS\n", nil
	case "FAILURE":
		if len(c) != 2 {
			return "", fmt.Errorf("%s: bad header line for FAILURE: %q", testPath, header)
		}
		pattern, err := strconv.Unquote(c[1])
		if err != nil {
			return "", fmt.Errorf("%s: malformed pattern %s: %v", testPath, c[1], err)
		}
		return "FAILURE\n" + pattern + "\n", nil
	}
	return "", fmt.Errorf("%s: bad header line: %q", testPath, header)
}
