/// Bindings generator (placeholder until it lands).
public enum StarlingCodegen {}
