"""wardroom's SSH edge: server, authentication, session dispatch, commands and the CLI."""

import warnings

__version__ = "0.1.0"

# asyncssh names cryptography's DSA types when it is imported, and cryptography warns about
# DSA on each start of the server and of every worker. wardroom never offers or accepts DSA,
# so the warning tells an operator nothing; set before anything here imports asyncssh.
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"asyncssh\.")
