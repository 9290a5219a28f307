package main

import (
	"strings"
	"testing"
	"time"
)

func TestLogWriterBuffersThenWritesEverything(t *testing.T) {
	var out lockedBuffer
	w := newLogWriter(&out)
	w.Write([]byte("one\n"))
	if got := out.String(); got != "" {
		t.Errorf("a line went out at once (%q): each would cost a system call", got)
	}
	// The flush loop writes it out without anyone asking.
	deadline := time.Now().Add(5 * time.Second)
	for out.String() != "one\n" && time.Now().Before(deadline) {
		time.Sleep(flushEvery / 4)
	}
	if got := out.String(); got != "one\n" {
		t.Errorf("after waiting, the log holds %q", got)
	}
	w.Write([]byte("two\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasSuffix(got, "two\n") {
		t.Errorf("Close left the last line unwritten: %q", got)
	}
}
