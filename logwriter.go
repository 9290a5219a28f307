package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logWriter buffers the log, so that a request's log line costs no system
// call of its own: what was written goes out when the buffer fills, every
// flushEvery, and at Close. A process killed outright loses at most the
// last flushEvery of its log; nothing else depends on it.
type logWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

const flushEvery = 100 * time.Millisecond

func newLogWriter(w io.Writer) *logWriter {
	l := &logWriter{buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go l.flushLoop()
	return l
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logWriter) flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Flush()
}

func (l *logWriter) flushLoop() {
	defer close(l.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
			_ = l.flush()
		}
	}
}

// Close writes out what is buffered; the writer must not be used after.
func (l *logWriter) Close() error {
	close(l.stop)
	<-l.done
	return l.flush()
}
