// Short names for the syntax tree inside this module (public users write `SQL.Select` etc.).

typealias Statement = SQL.Statement
typealias Name = SQL.Name
typealias TableRef = SQL.TableRef
typealias ColumnRef = SQL.ColumnRef
typealias Literal = SQL.Literal
typealias Operand = SQL.Operand
typealias ComparisonOperator = SQL.ComparisonOperator
typealias Expr = SQL.Expr
typealias Projection = SQL.Projection
typealias SelectItem = SQL.SelectItem
typealias Join = SQL.Join
typealias OrderItem = SQL.OrderItem
typealias Select = SQL.Select
typealias Limit = SQL.Limit
typealias Insert = SQL.Insert
typealias Assignment = SQL.Assignment
typealias Update = SQL.Update
typealias Delete = SQL.Delete
