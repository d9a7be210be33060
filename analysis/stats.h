// Order statistics over small samples, with one stated definition used everywhere in sg.
#ifndef SG_ANALYSIS_STATS_H_
#define SG_ANALYSIS_STATS_H_

#include <vector>

namespace sg {
namespace analysis {

// The q-quantile (q clamped to [0, 1]) of `sorted` (ascending; NaN if empty) by linear
// interpolation between order statistics: with h = (n - 1) * q, the value x[floor(h)] + (h -
// floor(h)) * (x[floor(h) + 1] - x[floor(h)]). This is numpy.percentile's default ("linear",
// Hyndman & Fan type 7): the median of {1, 2, 3, 4} is 2.5 and its 0.1-quantile is 1.3.
double SortedQuantile(const std::vector<double>& sorted, double q);

// Arithmetic mean (NaN for an empty sample).
double Mean(const std::vector<double>& values);

// Sample standard deviation (denominator n - 1): 0 for one value, NaN for an empty sample.
double SampleStdDev(const std::vector<double>& values);

// The median (0.5-quantile as above) of a sample in any order (NaN if empty).
double Median(std::vector<double> values);

}  // namespace analysis
}  // namespace sg

#endif  // SG_ANALYSIS_STATS_H_
