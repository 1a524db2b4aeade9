#ifndef PROVIDERD_CLIBPQ_SHIM_H
#define PROVIDERD_CLIBPQ_SHIM_H
#include <libpq-fe.h>

/* The PG_DIAG_* field codes are character macros; give Swift plain functions. */
static inline const char *providerd_pq_sqlstate(const PGresult *r) { return PQresultErrorField(r, PG_DIAG_SQLSTATE); }
static inline const char *providerd_pq_primary(const PGresult *r) { return PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY); }
static inline const char *providerd_pq_hint(const PGresult *r) { return PQresultErrorField(r, PG_DIAG_MESSAGE_HINT); }
static inline const char *providerd_pq_constraint(const PGresult *r) { return PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME); }

/* Server notices (NOTICE, WARNING) would go to stderr raw; providerd drops them:
   errors carry what an operator needs, and a notice is never a failure. */
static void providerd_pq_drop_notice(void *arg, const char *message) { (void)arg; (void)message; }
static inline void providerd_pq_silence_notices(PGconn *conn) { PQsetNoticeProcessor(conn, providerd_pq_drop_notice, 0); }
#endif
