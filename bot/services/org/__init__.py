"""Organization: committees, branches, social organizations, members, binding, roster, 流动党员."""
