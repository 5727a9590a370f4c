// The SQL engine; see SQL.swift.
