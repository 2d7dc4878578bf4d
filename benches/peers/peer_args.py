"""Command line shared by the peer scripts: `usagelake bench --peers` runs each one as
`<python> <script> --conn URL --query SELECT --out DIR`."""
import argparse


def parse(extra=()):
    parser = argparse.ArgumentParser()
    parser.add_argument("--conn", required=True)
    parser.add_argument("--query", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--time-column", default="created_at")
    for name, default in extra:
        parser.add_argument(name, default=default)
    return parser.parse_args()


def skip(reason):
    """Exit 3: the bench reports the peer as skipped, with this reason."""
    import sys

    print(reason, file=sys.stderr)
    sys.exit(3)
