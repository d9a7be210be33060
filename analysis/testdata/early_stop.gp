set terminal pngcairo size 600,450 noenhanced font "sans,10"
set output "out/early_stop.png"
$e0 << EOD
-0.226 0.2 0
0.214 0.25 0

-0.214 0.3 1
0.226 0.2 1

EOD
$e1 << EOD
0.768 0.3 0
1.208 0.95 0

0.78 0.35 1
1.22 0.9 1

0.792 0.3 2
1.232 0.4 2

EOD
$means << EOD
-0.22 0.25
0.22 0.225

0.78 0.3166666667
1.22 0.75

EOD
set title "gen_acc at the early-stopping point and at the end (a thin line per seed)"
set grid ytics
set ylabel "gen_acc"
set yrange [0:1.05]
set xrange [-0.6:1.6]
set xtics scale 0 ("early" -0.22, "final" 0.22, "\ndepth=2" 0, "early" 0.78, "final" 1.22, "\ndepth=4" 1)
set bmargin 5
set key outside below center horizontal
plot $e0 using 1:2 with linespoints pt 7 ps 0.6 lw 1 lc rgb "#440154" notitle, \
     $e1 using 1:2 with linespoints pt 7 ps 0.6 lw 1 lc rgb "#5ec962" notitle, \
     $means using 1:2 with linespoints pt 13 ps 1.3 lw 2.5 lc rgb "black" title "mean", \
     0.8 with lines dt 2 lw 1.5 lc rgb "#d55e00" title "threshold 0.8"
set output
