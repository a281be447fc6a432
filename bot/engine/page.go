package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/escalate-app/escalate/workflow"
)

// ListPageSize is how many cases one page of a person's list shows, on
// every platform: a page fits one Slack message or Teams card.
const ListPageSize = 10

// Page is one page of a person's open cases, soonest deadline first.
type Page struct {
	Cases []*workflow.Dispute
	// Offset is where the page starts among the person's open cases (0
	// for the first page); Total counts them all.
	Offset, Total int
}

// More is how many open cases come after this page.
func (p Page) More() int { return max(p.Total-p.Offset-len(p.Cases), 0) }

// Number is the page's number, counting from 1, for pages of size.
func (p Page) Number(size int) int { return p.Offset/max(size, 1) + 1 }

// Heading says whose cases these are and which of them the page shows.
func (p Page) Heading() string {
	switch {
	case p.Total == 0:
		return "You have no open cases"
	case len(p.Cases) == 0:
		return fmt.Sprintf("Your open cases (%d): there are not that many pages", p.Total)
	case p.Offset == 0 && p.More() == 0:
		return fmt.Sprintf("Your open cases (%d), soonest deadline first", p.Total)
	}
	return fmt.Sprintf("Your open cases (%d), soonest deadline first: %d to %d", p.Total, p.Offset+1, p.Offset+len(p.Cases))
}

// MoreLine says how many cases follow and how to see them, given the
// command that shows page n (e.g. "/escalate list"); "" when none follow.
func (p Page) MoreLine(command string, size int) string {
	if p.More() == 0 {
		return ""
	}
	return fmt.Sprintf("…and %d more: “%s %d” shows the next %d.", p.More(), command, p.Number(size)+1, min(size, p.More()))
}

// ParsePage reads the page number a person typed after list ("", "2",
// "page 3"); anything else is page 1. It returns the offset of the page.
func ParsePage(args string, size int) int {
	f := strings.Fields(strings.ToLower(args))
	if len(f) > 0 && f[0] == "page" {
		f = f[1:]
	}
	if len(f) == 0 {
		return 0
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 {
		return 0
	}
	// A page past any real list stays a small, harmless read.
	n = min(n, 1_000_000/max(size, 1))
	return (n - 1) * size
}
