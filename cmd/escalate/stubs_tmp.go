package main

import (
	"context"
	"io"
	"log/slog"
	"time"
)

var timeNow = time.Now

func recordCmd(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	return nil
}
func reportCmd(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	return nil
}
func purgeCmd(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	return nil
}
