set terminal svg size 600,450 noenhanced font "sans,10"
set output "out/runs.svg"
$d0_0 << EOD
0 0.1 0.1
1000 0.3 0.2
2000 0.2 0.2
3000 0.9 0.55
EOD
$d0_1 << EOD
0 0.1 0.1
1000 0.2 0.15
2000 0.4 0.275
3000 0.5 0.3875
EOD
set multiplot layout 1,1
set grid
set key outside right top vertical Left reverse samplen 3
set xlabel "step"
set style fill transparent solid 0.18 noborder
set autoscale xfix
set title "gen_acc (EMA alpha 0.5 over the points)"
set ylabel "gen_acc"
plot $d0_0 using 1:2 with points pt 7 ps 0.35 lc rgb "#440154" dt 1 notitle, $d0_0 using 1:3 with lines lw 1.5 lc rgb "#440154" dt 1 title "run 3 (depth=4, seed 0)", \
     $d0_1 using 1:2 with points pt 7 ps 0.35 lc rgb "#5ec962" dt 2 notitle, $d0_1 using 1:3 with lines lw 1.5 lc rgb "#5ec962" dt 2 title "run 4 (depth=4, seed 1)"
unset multiplot
set output
