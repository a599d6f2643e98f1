# make bench's chart: mean latency and exits per I/O by path, per workload.
#   gnuplot -e "base='build/bench/results'; guests=N; where='...'" scripts/bench.gp
# reads base.dat, writes base.png; guests: how many workloads have a guest row;
# where: where it ran, for the title.
if (!exists("base")) base = "build/bench/results"
if (!exists("guests")) guests = 1
if (!exists("where")) where = "where: see the JSON"
set terminal pngcairo size 1100,800 noenhanced font ",10"
set output base.".png"
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left
set xtics rotate by -20
set grid ytics
set multiplot layout (guests ? 2 : 1),1 title "block I/O by path, hv and QEMU + Linux (".base.".json: medians; ".where.")"
set title "mean latency (us, log scale)"
set logscale y
plot base.".dat" using 2:xtic(1) title "native", \
     "" using 4 title "loopback-pv", "" using 6 title "loopback-pv-poll", \
     "" using 8 title "pv", "" using 10 title "pv-poll", "" using 12 title "trap", \
     "" using 14 title "qemu-virtio", "" using 16 title "qemu-emulated"
unset logscale y
# native and loopback-* have no vCPU: their exits are missing ("-"), not zero.
set title "exits per I/O (all exits KVM counted; guest paths only)"
# Same colours as above: pv, pv-poll, trap, qemu-virtio and qemu-emulated are
# line types 4 to 8 there.
if (guests) plot base.".dat" using 9:xtic(1) title "pv" lt 4, "" using 11 title "pv-poll" lt 5, \
                 "" using 13 title "trap" lt 6, "" using 15 title "qemu-virtio" lt 7, \
                 "" using 17 title "qemu-emulated" lt 8
unset multiplot
