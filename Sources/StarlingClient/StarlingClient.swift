/// The Swift client SDK (placeholder until the SDK lands).
public enum StarlingClientSDK {}
