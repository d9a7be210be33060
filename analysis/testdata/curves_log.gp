set terminal pngcairo size 1200,450 noenhanced font "sans,10"
set output "out/curves.png"
$d0_0 << EOD
1000 0.04166666667 0.03333333333 0.1375
2000 0.08333333333 0.06666666667 0.175
5000 0.2083333333 0.1666666667 0.2875
12000 0.5 0.4 0.55
24000 1 0.8 1
EOD
$d0_1 << EOD
1000 0.04166666667 0.03333333333 0.1375
2000 0.08333333333 0.06666666667 0.175
5000 0.2083333333 0.1666666667 0.2875
12000 0.5 0.4 0.55
24000 1 0.8 1
EOD
$d0_2 << EOD
1000 0.04166666667 0.03333333333 0.1375
2000 0.08333333333 0.06666666667 0.175
5000 0.2083333333 0.1666666667 0.2875
12000 0.5 0.4 0.55
24000 1 0.8 1
EOD
$d1_0 << EOD
1000 0.02083333333 0.01666666667 0.11875
2000 0.04166666667 0.03333333333 0.1375
5000 0.1041666667 0.08333333333 0.19375
12000 0.25 0.2 0.325
24000 0.5 0.4 0.55
EOD
$d1_1 << EOD
1000 0.0375 0.03 0.13375
2000 0.075 0.06 0.1675
5000 0.1875 0.15 0.26875
12000 0.45 0.36 0.505
24000 0.9 0.72 0.91
EOD
$d1_2 << EOD
1000 0.02083333333 0.01666666667 0.11875
2000 0.04166666667 0.03333333333 0.1375
5000 0.1041666667 0.08333333333 0.19375
12000 0.25 0.2 0.325
24000 0.5 0.4 0.55
EOD
set multiplot layout 1,2 title "sweep qf: median and p25-p75 over seeds"
set grid
set key outside right top vertical Left reverse samplen 3
set xlabel "step"
set style fill transparent solid 0.18 noborder
set logscale x
set xtics ("1k" 1000, "2k" 2000, "5k" 5000, "10k" 10000, "20k" 20000)
set xtics add ("" 3000 1, "" 4000 1, "" 6000 1, "" 7000 1, "" 8000 1, "" 9000 1)
set autoscale xfix
set title "val_acc (median, p25-p75)"
set ylabel "val_acc"
plot $d0_0 using 1:3:4 with filledcurves fc rgb "#440154" notitle, $d0_0 using 1:2 with lines lw 2 lc rgb "#440154" dt 1 title "depth=2", \
     $d0_1 using 1:3:4 with filledcurves fc rgb "#2e728c" notitle, $d0_1 using 1:2 with lines lw 2 lc rgb "#2e728c" dt 2 title "depth=4", \
     $d0_2 using 1:3:4 with filledcurves fc rgb "#5ec962" notitle, $d0_2 using 1:2 with lines lw 2 lc rgb "#5ec962" dt 4 title "depth=6"
set title "gen_acc (median, p25-p75)"
set ylabel "gen_acc"
plot $d1_0 using 1:3:4 with filledcurves fc rgb "#440154" notitle, $d1_0 using 1:2 with lines lw 2 lc rgb "#440154" dt 1 title "depth=2", \
     $d1_1 using 1:3:4 with filledcurves fc rgb "#2e728c" notitle, $d1_1 using 1:2 with lines lw 2 lc rgb "#2e728c" dt 2 title "depth=4", \
     $d1_2 using 1:3:4 with filledcurves fc rgb "#5ec962" notitle, $d1_2 using 1:2 with lines lw 2 lc rgb "#5ec962" dt 4 title "depth=6"
unset multiplot
set output
