set terminal pdfcairo size 10in,4.5in noenhanced font "sans,10"
set output "out/depth.pdf"
$bars << EOD
"depth=2" 1 5 0.3 0.2 0.45 0.25 0x440154
"depth=4" 4 5 0.7 0.6 0.85 0.75 0x2e728c
"depth=6" 0 5 NaN NaN NaN NaN 0x5ec962
EOD
set multiplot layout 1,2 title "final gen_acc per group (grokked: final gen_acc > 0.8)"
set grid ytics
set boxwidth 0.6
set style fill solid 0.8 border -1
set xtics noenhanced
set xrange [-0.6:2.6]
unset key
set title "seeds with final gen_acc > 0.8"
set ylabel "seeds"
set yrange [0:6]
plot $bars using 0:2:8:xtic(1) with boxes lc rgb variable, \
     $bars using 0:2:(sprintf("%d/%d", $2, $3)) with labels offset 0,1
set key outside below center horizontal
set title "mean final gen_acc, 95% bootstrap CI"
set ylabel "gen_acc"
set yrange [0:1.05]
plot $bars using 0:4:8:xtic(1) with boxes lc rgb variable notitle, \
     $bars using 0:4:5:6 with yerrorbars lc rgb "black" ps 0 lw 1.5 title "95% CI", \
     $bars using 0:7 with points pt 13 ps 1.2 lc rgb "black" title "median", \
     0.8 with lines dt 2 lw 1.5 lc rgb "#d55e00" title "threshold 0.8"
unset multiplot
set output
