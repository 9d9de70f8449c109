/** Whom a run is counted for: what the run path and the usage records share. */

/** Who a run is counted for (see `RunRequest.account`). */
export interface Account {
  /**
   * The usage tenant: the key's bound tenant, else the request's tenant
   * (before any key's namespace), else the key id, else "" (no keys and no
   * tenant).
   */
  tenant: string;
  /** The calling key's id; "" without API keys. */
  keyId: string;
}
