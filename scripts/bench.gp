# make bench's chart: mean latency and exits per I/O by path, per workload.
set terminal pngcairo size 1100,800 noenhanced font ",10"
set output "build/bench/results.png"
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left
set xtics rotate by -20
set grid ytics
set multiplot layout 2,1 title "hv block I/O by path (build/bench/results.json: medians)"
set title "mean latency (us, log scale)"
set logscale y
plot "build/bench/results.dat" using 2:xtic(1) title "native", \
     "" using 4 title "loopback-pv", "" using 6 title "loopback-pv-poll", \
     "" using 8 title "pv", "" using 10 title "pv-poll", "" using 12 title "trap"
unset logscale y
set title "exits per I/O (all exits KVM counted)"
plot "build/bench/results.dat" using 3:xtic(1) title "native", \
     "" using 5 title "loopback-pv", "" using 7 title "loopback-pv-poll", \
     "" using 9 title "pv", "" using 11 title "pv-poll", "" using 13 title "trap"
unset multiplot
