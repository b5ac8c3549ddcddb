import sys

from rehab_coach.cli import main

sys.exit(main())
