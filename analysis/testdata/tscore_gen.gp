set terminal svg size 700,450 noenhanced font "sans,10"
set output "out/tscore_gen.svg"
$g0 << EOD
0.21 0.3 1
0.25 0.35 2
EOD
$g1 << EOD
0.42 0.95 3
0.4 0.9 4
0.38 0.6 5
EOD
$g3 << EOD
0.3 0.5 6
EOD
set title "final t_score against final gen_acc, a point per run"
set grid
set xlabel "final t_score (tree-structuredness)"
set ylabel "final gen_acc"
set xrange [0.16:0.47]
set yrange [0:1.05]
set key outside right top vertical noenhanced
plot $g0 using 1:2 with points pt 7 ps 1.2 lc rgb "#440154" title "depth=2", \
     $g1 using 1:2 with points pt 7 ps 1.2 lc rgb "#3b528b" title "depth=4", \
     $g3 using 1:2 with points pt 7 ps 1.2 lc rgb "#5ec962" title "depth=8", \
     0.8 with lines dt 2 lw 1.5 lc rgb "#d55e00" title "grok threshold 0.8"
set output
