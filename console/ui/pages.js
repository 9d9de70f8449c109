// Pages over the admin API's dead letters, usage and quotas, retention and
// settings: listed here so the shell stays the same as they are added.
export const extraPages = [];
