package report

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/golang/freetype/truetype"
	"github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
	"github.com/wcharczuk/go-chart/v2/roboto"
)

// The charts are built from the report's counts and labels only (stage
// names, months, agency names): FunnelChart, TrendChart and
// AgencyPairsChart return them before drawing, so that what they show can
// be checked.

// maxPairs bounds the agency pairs charted; the summary lists them all.
const maxPairs = 12

// The charts' colours.
const (
	blue  = "1d70b8"
	green = "00703c"
	red   = "d4351c"
)

// FunnelChart is how many of the cases raised in the period were held at
// each stage.
func FunnelChart(r Report) chart.BarChart {
	bars := make([]chart.Value, 0, len(r.Stages))
	top := 0
	for _, s := range r.Stages {
		bars = append(bars, chart.Value{Label: "Stage " + s.Label, Value: float64(s.Held),
			Style: chart.Style{FillColor: drawing.ColorFromHex(blue), StrokeColor: drawing.ColorFromHex(blue)}})
		top = max(top, s.Held)
	}
	return barChart("Cases held at each stage, of those raised "+PeriodLabel(r.From, r.To), bars, top, 1)
}

// AgencyPairsChart is how often each pair of agencies disagreed, the most
// frequent first.
func AgencyPairsChart(r Report) chart.BarChart {
	var bars []chart.Value
	top := 0
	for i, p := range r.AgencyPairs {
		if i == maxPairs {
			break
		}
		label := p.A + " / " + p.B
		if p.A == p.B {
			label = p.A + " (within)"
		}
		bars = append(bars, chart.Value{Label: label, Value: float64(p.Count),
			Style: chart.Style{FillColor: drawing.ColorFromHex(red), StrokeColor: drawing.ColorFromHex(red)}})
		top = max(top, p.Count)
	}
	if len(bars) == 0 {
		bars = append(bars, chart.Value{Label: "No disagreements raised", Value: 0})
	}
	return barChart("Disagreements between agencies, "+PeriodLabel(r.From, r.To), bars, top, 4)
}

// TrendChart is the cases raised and closed in each month of the period.
func TrendChart(r Report) chart.Chart {
	n := len(r.Months)
	xs := make([]float64, n)
	raised := make([]float64, n)
	closed := make([]float64, n)
	// Unlabelled ticks half a month either side keep the first and last
	// months off the edges (and a one-month period drawable).
	ticks := []chart.Tick{{Value: -0.5}}
	top := 0
	for i, m := range r.Months {
		xs[i], raised[i], closed[i] = float64(i), float64(m.Raised), float64(m.Closed)
		ticks = append(ticks, chart.Tick{Value: float64(i), Label: m.Label})
		top = max(top, m.Raised, m.Closed)
	}
	ticks = append(ticks, chart.Tick{Value: float64(n) - 0.5})
	line := func(name string, ys []float64, c drawing.Color) chart.ContinuousSeries {
		return chart.ContinuousSeries{Name: name, XValues: xs, YValues: ys,
			Style: chart.Style{StrokeColor: c, StrokeWidth: 3, DotColor: c, DotWidth: 4}}
	}
	ymax := axisMax(top)
	c := chart.Chart{
		Title:      "Cases raised and closed by month",
		Width:      900,
		Height:     450,
		Background: chart.Style{Padding: chart.Box{Top: 110, Left: 20, Right: 30, Bottom: 20}},
		XAxis:      chart.XAxis{Ticks: ticks},
		YAxis: chart.YAxis{Range: &chart.ContinuousRange{Min: 0, Max: ymax}, Ticks: countTicks(ymax),
			ValueFormatter: func(v any) string { return intLabel(v) }},
		Series: []chart.Series{line("Raised", raised, drawing.ColorFromHex(blue)), line("Closed", closed, drawing.ColorFromHex(green))},
	}
	c.Elements = []chart.Renderable{chart.LegendThin(&c)}
	return c
}

// barChart draws bars; labelLines is how many lines the longest label
// wraps to, for the room below the axis.
func barChart(title string, bars []chart.Value, top, labelLines int) chart.BarChart {
	ymax := axisMax(top)
	width := 900
	barWidth := min(90, max(24, (width-160)/max(len(bars), 1)*6/10))
	return chart.BarChart{
		Title:      title,
		Width:      width,
		Height:     480,
		BarWidth:   barWidth,
		BarSpacing: max(barWidth*2/3, 12),
		Background: chart.Style{Padding: chart.Box{Top: 50, Left: 20, Right: 20, Bottom: 8 + 14*labelLines}},
		XAxis:      chart.Style{FontSize: 8},
		YAxis: chart.YAxis{Range: &chart.ContinuousRange{Min: 0, Max: ymax}, Ticks: countTicks(ymax),
			ValueFormatter: func(v any) string { return intLabel(v) }},
		Bars: bars,
	}
}

// axisMax is the top of a count axis: the first tick at or above the
// largest count, and at least 1 so an empty period still draws.
func axisMax(top int) float64 {
	step := tickStep(top)
	return float64(max(1, (top+step-1)/step*step))
}

// tickStep is a round step (1, 2, 5, 10, 20, 25, 50, 100, ...) giving at
// most six ticks up to top.
func tickStep(top int) int {
	for scale := 1; ; scale *= 10 {
		for _, s := range []int{1, 2, 5, 10, 20, 25, 50} {
			if step := s * scale; top <= 6*step {
				return step
			}
		}
	}
}

// countTicks are whole-number ticks from 0 to max.
func countTicks(top float64) []chart.Tick {
	step := tickStep(int(top))
	var ticks []chart.Tick
	for v := 0; v <= int(top); v += step {
		ticks = append(ticks, chart.Tick{Value: float64(v), Label: strconv.Itoa(v)})
	}
	return ticks
}

func intLabel(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.Itoa(int(math.Round(f)))
	}
	return fmt.Sprint(v)
}

// Files are the names WriteFiles writes.
const (
	FileSummary     = "report.md"
	FileCases       = "cases.csv"
	FileFunnel      = "funnel.png"
	FileTrend       = "trend.png"
	FileAgencyPairs = "agency-pairs.png"
)

// Charts draws the three charts as PNG images, by file name.
func Charts(r Report) (map[string][]byte, error) {
	// Each drawing gets its own parsed font: go-chart's shared default
	// font is set lazily without a lock.
	font, err := truetype.Parse(roboto.Roboto)
	if err != nil {
		return nil, fmt.Errorf("report: load the chart font: %w", err)
	}
	funnel, trend, pairs := FunnelChart(r), TrendChart(r), AgencyPairsChart(r)
	funnel.Font, trend.Font, pairs.Font = font, font, font
	out := map[string][]byte{}
	for name, c := range map[string]interface {
		Render(chart.RendererProvider, io.Writer) error
	}{FileFunnel: funnel, FileTrend: trend, FileAgencyPairs: pairs} {
		var b bytes.Buffer
		if err := c.Render(chart.PNG, &b); err != nil {
			return nil, fmt.Errorf("report: draw %s: %w", name, err)
		}
		out[name] = b.Bytes()
	}
	return out, nil
}

// WriteFiles writes the report into dir (created if need be): the summary
// (report.md), the cases (cases.csv) and the charts (funnel.png,
// trend.png, agency-pairs.png). It returns the paths written.
func WriteFiles(dir string, r Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("report: create %s: %w", dir, err)
	}
	var summary, cases bytes.Buffer
	if err := Markdown(&summary, r); err != nil {
		return nil, err
	}
	if err := CSV(&cases, r); err != nil {
		return nil, err
	}
	charts, err := Charts(r)
	if err != nil {
		return nil, err
	}
	files := []struct {
		name string
		data []byte
	}{
		{FileSummary, summary.Bytes()}, {FileCases, cases.Bytes()},
		{FileFunnel, charts[FileFunnel]}, {FileTrend, charts[FileTrend]}, {FileAgencyPairs, charts[FileAgencyPairs]},
	}
	var paths []string
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path, f.data, 0o640); err != nil {
			return paths, fmt.Errorf("report: write %s: %w", path, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}
