namespace LoginConsumer.Operations;

/// <summary>Where a long operation reports how far it got; the command decides how that is shown.</summary>
public interface IWorkProgress
{
    void Report(long done);

    void Complete(long done);
}
