"""Network: links between accounts, clusters, ban evasion and coordinated campaigns."""
