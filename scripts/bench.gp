# make bench's chart, drawn from the layout scripts/bench-chart.py computed
# (it runs this file; see there for what the chart promises).
#   gnuplot -e "base='B'; title='...'; panels='2'; nwork='5'; title1='...'; lts1='1 4 6';
#               log1='1'; title2=...; lts2=...; log2='0'" scripts/bench.gp
# reads B.chart: block 0 the workload labels (x, name); then, panel by panel,
# one block per path (x, value, width), its legend on the block's first line.
# Writes B.png.
set terminal pngcairo size 1100,800 noenhanced font ",10"
set output base.".png"
set style fill solid 0.8 border -1
# The key beside the plot, so it never covers a bar.
set key outside right top
set grid ytics
set offsets 0, 0, graph 0.05, 0
set xrange [-0.5:nwork - 0.5]
set xtics rotate by -20
set multiplot layout (panels + 0),1 title title
first = 1
do for [k = 1:panels + 0] {
	t = value("title".k)
	lts = value("lts".k)
	set title t
	if (value("log".k) eq "1") { set logscale y } else { unset logscale y; set yrange [0:*] }
	n = words(lts)
	plot base.".chart" index 0 using 1:(NaN):xtic(2) notitle, \
	     for [i = 1:n] base.".chart" index (first + i - 1) using 1:2:3 with boxes \
		lt (word(lts, i) + 0) title columnheader(2)
	first = first + n
}
unset multiplot
