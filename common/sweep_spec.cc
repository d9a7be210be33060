// Placeholder: replaced by the sweep-spec implementation.
#include "common/sweep_spec.h"
